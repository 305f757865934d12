import sys

from colorize_cnn.cli import main

sys.exit(main())
