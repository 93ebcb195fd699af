"""The instructor's defences around nbgrader's autograde."""
