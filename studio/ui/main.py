"""The script `studio ui` serves. An installed package has no streamlit_app.py (that file is the
checkout's entry for `streamlit run`); both call the same router."""

from studio.ui.app import run

if __name__ == "__main__":  # Streamlit runs the script as __main__; importing it renders nothing
    run()
