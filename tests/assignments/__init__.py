"""Helpers for tests/test_assignments.py, and one mistake bank per assignment.

- `course.py` runs nbgrader on a temporary copy of the course, through `NbGraderAPI`;
- `bank.py` defines `Mistake` and `Alternative` and turns them into student notebooks;
- `<assignment>.py` (e.g. `a1_numerical_gradients.py`, named after the folder in solutions/)
  lists that assignment's MISTAKES and ALTERNATIVES. Adding an assignment adds one such file.
"""
