"""A trained speech LM outside its run directory: export in Hugging Face layout
(:func:`export_run`), loading (:func:`load_exported`) and continuing a spoken or mixed prompt
(:func:`generate`)."""

from .bundle import ExportedModel, load_exported
from .export import export_run
from .prompt import generate, prompt_embeddings

__all__ = ["ExportedModel", "export_run", "generate", "load_exported", "prompt_embeddings"]
