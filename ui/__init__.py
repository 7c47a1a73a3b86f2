"""User interfaces: the ``qbank`` command line and the Gradio app."""
