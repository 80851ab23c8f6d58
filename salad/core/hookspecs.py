"""Pluggy hook specifications: one registration hook per component kind.

A plugin is a module (named by an entry point in the ``salad.plugins`` group, or listed by a
recipe) that implements any of these hooks with ``@salad.hookimpl``. Each hook returns a list of
:class:`~salad.core.records.ComponentRecord`. Keep the module import-light: import heavy libraries
(torch, transformers, ...) inside factories, never at module level. Example::

    from pydantic import BaseModel, ConfigDict
    import salad

    class EchoConfig(BaseModel):
        model_config = ConfigDict(extra="forbid")
        voice: str = "default"

    @salad.hookimpl
    def salad_tts_engines():
        return [salad.ComponentRecord(
            name="acme.echo_tts.v1", version="0.1.0", config=EchoConfig,
            factory="acme_tts.engine:EchoTTS", summary="Says everything as a beep.",
            ports=lambda cfg: {"sample_rate": 16000})]
"""

from __future__ import annotations

import pluggy

PROJECT = "salad"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def salad_speech_encoders() -> list:
    """Speech encoders. Ports: ``output_dim``, ``sample_rate``, ``frame_rate``.

    Example: ``[ComponentRecord(name="salad.fbank_encoder.v1", ...)]``.
    """


@hookspec
def salad_adapters() -> list:
    """Adapters from encoder frames to LM embeddings. Ports: ``input_dim``, ``output_dim``,
    ``downsample``.

    Example: ``[ComponentRecord(name="salad.mlp_adapter.v1", ...)]``.
    """


@hookspec
def salad_teacher_lms() -> list:
    """Frozen teacher LMs. Ports: ``hidden_size``, ``vocab_size``, ``tokenizer``.

    Example: ``[ComponentRecord(name="salad.gguf_lm.v1", ...)]``.
    """


@hookspec
def salad_student_lms() -> list:
    """Student LMs (trainable). Ports: ``hidden_size``, ``vocab_size``, ``tokenizer``.

    Example: ``[ComponentRecord(name="salad.gguf_lm.v1", ...)]``.
    """


@hookspec
def salad_losses() -> list:
    """Training losses over text positions.

    Example: ``[ComponentRecord(name="salad.kl_distill.v1", ...)]``.
    """


@hookspec
def salad_clustering_backends() -> list:
    """Clustering backends for active selection.

    Example: ``[ComponentRecord(name="salad.sklearn_kmeans.v1", ...)]``.
    """


@hookspec
def salad_misalignment_scorers() -> list:
    """Misalignment scorers comparing two next-token distributions.

    Example: ``[ComponentRecord(name="salad.kl_misalignment.v1", ...)]``.
    """


@hookspec
def salad_tts_engines() -> list:
    """Text-to-speech engines. Ports: ``sample_rate``, ``voices``.

    Example: ``[ComponentRecord(name="salad.piper_tts.v1", ...)]``.
    """


@hookspec
def salad_corpora() -> list:
    """Text corpus sources.

    Example: ``[ComponentRecord(name="salad.popquotes_corpus.v1", ...)]``.
    """


@hookspec
def salad_benchmarks() -> list:
    """Multiple-choice benchmark sources.

    Example: ``[ComponentRecord(name="salad.openbookqa.v1", ...)]``.
    """


@hookspec
def salad_text_embedders() -> list:
    """Sentence embedders. Ports: ``output_dim``.

    Example: ``[ComponentRecord(name="salad.minilm_embedder.v1", ...)]``.
    """
