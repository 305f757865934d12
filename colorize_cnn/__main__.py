from colorize_cnn.cli import run

run()
