"""The language model: an OpenAI-compatible client, and the embedded llama.cpp server."""
