"""Small shared core: canonical dataset format, params, errors, atomic outputs, emotion names."""
