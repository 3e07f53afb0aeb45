"""Services orchestrate the ORM and the pipeline. Front doors and tasks call these; these call
the pipeline and the models, never the other way round."""
