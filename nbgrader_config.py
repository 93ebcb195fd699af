"""nbgrader configuration for the course "backprop". Run every nbgrader command from here.

    solutions/<assignment>/<notebook>.ipynb    the source (solutions and hidden tests)
    exercises/<assignment>/<notebook>.ipynb    the release, made by `nbgrader generate_assignment`
    submitted/<student>/<assignment>/          students' notebooks, as collected
    downloaded/<assignment>/archive/           submissions from an LMS, for `nbgrader zip_collect`
    autograded/, feedback/, gradebook.db       made by nbgrader; never committed

nbgrader runs `alembic` when it creates gradebook.db: put the venv's bin/ on PATH first
(`make` does; by hand, `source .venv/bin/activate`). See README.md, "Grading".
"""

import os
import sys

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, ClearOutput, GetGrades, IgnorePattern, LimitOutput,
    OverwriteCells, OverwriteKernelspec, SaveAutoGrades,
)

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, ROOT)
from autograder.execute import GradingExecute  # noqa: E402 (needs ROOT on sys.path)
from autograder.feedback import HideHiddenTests  # noqa: E402
from autograder.structure import RepairStructure  # noqa: E402

c.CourseDirectory.course_id = "backprop"
c.CourseDirectory.root = ROOT
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(ROOT, "gradebook.db")

# nbgrader's autograde steps, with three of ours in place of its own (see autograder/):
# RepairStructure for DeduplicateIds (copied and moved cells), GradingExecute for Execute (a
# kernel with limits, recovery from a dead kernel, the integrity check).
c.Autograde.sanitize_preprocessors = [
    ClearOutput, RepairStructure, OverwriteKernelspec, OverwriteCells, CheckCellMetadata]
c.Autograde.autograde_preprocessors = [
    GradingExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
    AssignLatePenalties, CheckCellMetadata]
# Each cell may run this long (seconds); a cell that runs over is interrupted, scores zero,
# and grading goes on with the next cell.
c.GradingExecute.timeout = 60
# The grading kernel's limits: its address space, and the largest file it may write.
c.GradingKernelManager.memory_mib = 2048
c.GradingKernelManager.file_mib = 256
# A student who deletes a test cell gets it back (and is graded on it), instead of the
# notebook waiting for a manual grade.
c.OverwriteCells.add_missing_cells = True

# `nbgrader zip_collect <assignment>`: one folder or one .zip per student in
# downloaded/<assignment>/archive/, named by student id, holding the notebook under its
# released name: archive/alice/a1_numerical_gradients.ipynb or archive/alice.zip.
c.ZipCollectApp.downloaded_directory = "downloaded"
c.FileNameCollectorPlugin.named_regexp = (
    r".*/extracted/(?P<student_id>[^/]+)/(?:[^/]+/)*(?P<file_id>[^/]+\.ipynb)$")


c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
