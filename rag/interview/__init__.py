"""Mock interview: grading against reference answers, sessions and spaced repetition."""
