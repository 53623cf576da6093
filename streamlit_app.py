from studio.ui.app import run

run()
