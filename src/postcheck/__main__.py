from postcheck.cli import run

run()
