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
import re

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades
from traitlets import List

ANSI = re.compile(r"\x1b\[[0-9;]*m")

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "backprop"
c.CourseDirectory.root = ROOT
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(ROOT, "gradebook.db")

# Each cell may run this long (seconds); a cell that runs over is interrupted, scores zero,
# and grading goes on with the next cell.
c.Execute.timeout = 60
# A student who deletes a test cell gets it back (and is graded on it), instead of the
# notebook waiting for a manual grade.
c.OverwriteCells.add_missing_cells = True

# `nbgrader zip_collect <assignment>`: one folder or one .zip per student in
# downloaded/<assignment>/archive/, named by student id, holding the notebook under its
# released name: archive/alice/a1_numerical_gradients.ipynb or archive/alice.zip.
c.ZipCollectApp.downloaded_directory = "downloaded"
c.FileNameCollectorPlugin.named_regexp = (
    r".*/extracted/(?P<student_id>[^/]+)/(?:[^/]+/)*(?P<file_id>[^/]+\.ipynb)$")


class HideHiddenTests(ClearHiddenTests):
    """Feedback without the hidden tests (nbgrader issue #1363).

    Removes every ### BEGIN/END HIDDEN TESTS region from the cell sources, and in a cell
    that had one, replaces the traceback frames that show that cell's code by one line. The
    error's type and message (written for students by backprop_ref.grading) stay.
    """

    display_data_priority = List().tag(config=True)  # set by the HTML exporter; unused here

    def preprocess_cell(self, cell, resources, index):
        if not self._remove_hidden_test_region(cell):
            return cell, resources
        count = cell.get("execution_count")
        this_cell = re.compile(rf"(Cell In ?|Input In ?)\[{count}\]|<ipython-input-{count}-")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [
                    "(a frame of this test cell: not shown, as it may show hidden tests)"
                    if this_cell.match(ANSI.sub("", entry)) else entry
                    for entry in output.get("traceback", [])
                ]
        return cell, resources


c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
