"""`python -m autograder <assignment>`: see autograder/grade.py."""

import sys

from autograder.grade import main

sys.exit(main(sys.argv[1:]))
