"""The answer flow: lexical search and rank fusion, which sentences answer, evidence
compression to the model's budget, prompts, and the checks of what the model cites."""
