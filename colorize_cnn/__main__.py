from colorize_cnn.app.cli import run

run()
