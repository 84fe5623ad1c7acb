"""Offline DialoGPT-format checkpoint trained on the in-repo small-talk corpus (``make model``).

Model hubs are unreachable from our machines, so this module builds a small GPT-2 model in
the DialoGPT format from ``tools/training/corpus/clinic_dialogues_es.txt``. The result loads
with the ordinary ``AutoTokenizer.from_pretrained(path)`` /
``AutoModelForCausalLM.from_pretrained(path)`` calls and answers in Spanish. It is a
development and offline stand-in, not DialoGPT's weights.

What gets built, following DialoGPT/GPT-2 conventions:

- a byte-level BPE tokenizer whose only special token is ``<|endoftext|>``
  (bos = eos = unk, no pad token), saved as ``GPT2Tokenizer`` (tokenizer.json,
  tokenizer_config.json, vocab.json, merges.txt);
- a ``GPT2LMHeadModel`` trained with causal-LM loss on dialogues written as
  ``turn <eos> turn <eos> ... turn <eos>``; saved as safetensors with a generation config;
- ``MODEL_CARD.md`` describing the above.

Presets: ``default`` (about three minutes on a 2-core CPU) for local runs, ``tiny`` (a few
seconds) for tests. Training is bounded by a fixed number of steps, so a given preset and
seed always give the same weights on the same machine type (training runs on one CPU
thread, so the core count does not matter); ``train_seconds`` adds a wall-clock cap that
breaks that guarantee.

CLI::

    python -m tools.training.offline_model --output models/dialogpt-clinic-es [--preset tiny] [--seed 0] [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import torch
import transformers
from tokenizers import ByteLevelBPETokenizer, Tokenizer
from transformers import (  # type: ignore[attr-defined]  # GPT2TokenizerFast is a lazy export
    GenerationConfig,
    GPT2Config,
    GPT2LMHeadModel,
    GPT2TokenizerFast,
)

EOS = "<|endoftext|>"
CORPUS_PATH = Path(__file__).with_name("corpus") / "clinic_dialogues_es.txt"
MODEL_FILES = ("config.json", "model.safetensors", "generation_config.json")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")

PresetName = Literal["tiny", "default"]


@dataclass(frozen=True)
class Preset:
    """Model size and training budget.

    ``vocab_size`` is an upper bound: BPE stops merging at pairs seen once, which on the
    in-repo corpus gives about 2,000 tokens for ``default``.
    """

    vocab_size: int
    n_embd: int
    n_layer: int
    n_head: int
    n_positions: int
    steps: int
    batch_size: int
    learning_rate: float


PRESETS: dict[str, Preset] = {
    "default": Preset(
        vocab_size=4096,
        n_embd=256,
        n_layer=4,
        n_head=4,
        n_positions=256,
        steps=800,
        batch_size=16,
        learning_rate=2e-3,
    ),
    "tiny": Preset(
        vocab_size=1024,
        n_embd=64,
        n_layer=2,
        n_head=2,
        n_positions=128,
        steps=100,
        batch_size=8,
        learning_rate=3e-3,
    ),
}


class CorpusError(ValueError):
    """The corpus file is not in the documented format."""


def load_dialogues(path: Path = CORPUS_PATH) -> list[list[str]]:
    """Read the corpus: blank-line separated dialogues of alternating ``P: ``/``A: `` turns."""
    dialogues: list[list[str]] = []
    current: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                dialogues.append(current)
                current = []
            continue
        expected = "P: " if len(current) % 2 == 0 else "A: "
        if not line.startswith(expected) or not line[3:].strip():
            raise CorpusError(f"{path}:{number}: expected a turn starting with {expected!r}")
        current.append(line[3:].strip())
    if current:
        dialogues.append(current)
    if not dialogues:
        raise CorpusError(f"{path}: no dialogues")
    return dialogues


def train_tokenizer(dialogues: Sequence[Sequence[str]], preset: Preset) -> GPT2TokenizerFast:
    """A GPT-2 style byte-level BPE tokenizer with ``<|endoftext|>`` as its only special token."""
    bpe = ByteLevelBPETokenizer(add_prefix_space=False)
    bpe.train_from_iterator(
        (turn for dialogue in dialogues for turn in dialogue),
        vocab_size=preset.vocab_size,
        min_frequency=2,
        special_tokens=[EOS],
        show_progress=False,
    )
    backend = Tokenizer.from_str(bpe._tokenizer.to_str())  # the trained tokenizers.Tokenizer
    return GPT2TokenizerFast(
        tokenizer_object=backend,
        bos_token=EOS,
        eos_token=EOS,
        unk_token=EOS,
        add_prefix_space=False,
        model_max_length=preset.n_positions,
        clean_up_tokenization_spaces=False,
    )


def encode_dialogues(
    tokenizer: GPT2TokenizerFast, dialogues: Sequence[Sequence[str]], max_length: int
) -> list[list[int]]:
    """Each dialogue as ``turn <eos> turn <eos> ... <eos>``, cut to ``max_length`` tokens."""
    eos_id = tokenizer.eos_token_id
    examples = []
    for dialogue in dialogues:
        ids: list[int] = []
        for turn in dialogue:
            ids.extend(tokenizer.encode(turn, add_special_tokens=False))
            ids.append(eos_id)
        examples.append(ids[:max_length])
    return examples


def model_config(tokenizer: GPT2TokenizerFast, preset: Preset) -> GPT2Config:
    """GPT-2 config with DialoGPT's token conventions and the preset's small dims."""
    eos_id = tokenizer.eos_token_id
    return GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=preset.n_positions,
        n_embd=preset.n_embd,
        n_layer=preset.n_layer,
        n_head=preset.n_head,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=eos_id,
        eos_token_id=eos_id,
        architectures=["GPT2LMHeadModel"],
    )


def batch_tensors(examples: Sequence[list[int]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded ids, attention mask, and labels that ignore the padding."""
    width = max(len(ids) for ids in examples)
    input_ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, ids in enumerate(examples):
        input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        attention_mask[row, : len(ids)] = 1
    labels = input_ids.masked_fill(attention_mask == 0, -100)
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def epoch_batches(lengths: Sequence[int], batch_size: int, generator: torch.Generator) -> list[list[int]]:
    """One epoch of example indices in batches of similar length, in a seeded random order.

    Shuffles, sorts each window of ``8 * batch_size`` examples by length so batches need
    little padding, then shuffles the batches.
    """
    order = torch.randperm(len(lengths), generator=generator).tolist()
    window = 8 * batch_size
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: (lengths[i], i))
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def train_model(
    model: GPT2LMHeadModel,
    examples: Sequence[list[int]],
    preset: Preset,
    *,
    seed: int,
    pad_id: int,
    deadline: float | None = None,
) -> float:
    """Causal-LM training with AdamW and a cosine schedule; returns the final loss."""
    order = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=preset.learning_rate, weight_decay=0.01)
    warmup = max(1, preset.steps // 10)

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, preset.steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    lengths = [len(ids) for ids in examples]
    model.train()
    pending: list[list[int]] = []
    loss_value = float("nan")
    for _ in range(preset.steps):
        if deadline is not None and time.monotonic() > deadline:
            break
        if not pending:
            pending = epoch_batches(lengths, preset.batch_size, order)
        picked = [examples[i] for i in pending.pop()]
        loss = model(**batch_tensors(picked, pad_id)).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        loss_value = float(loss.item())
    model.train(False)
    return loss_value


def model_card(
    preset_name: str, preset: Preset, *, seed: int, vocab: int, loss: float, corpus_sha256: str, dialogues: int
) -> str:
    """Markdown model card for the output directory."""
    dims = "\n".join(f"- `{key}`: {value}" for key, value in asdict(preset).items())
    return f"""# dialogpt-clinic-es (offline development model)

A small GPT-2 language model in the **DialoGPT format**, built by
`python -m tools.training.offline_model` from the Spanish small-talk corpus shipped in this
repository (`tools/training/corpus/clinic_dialogues_es.txt`, {dialogues} dialogues,
sha256 `{corpus_sha256}`).

**These are not Microsoft's DialoGPT weights.** The model was trained from scratch for a
few minutes on a CPU so the inference service can run offline (no model hub) and reply
with Spanish words. Use it for development and tests only; it knows nothing beyond the
corpus (small talk only: it was taught no clinic facts), its replies often miss the point
(`make eval-smalltalk` measures how often), and it must never be used for medical
advice.

## Format
- Tokenizer: byte-level BPE ({vocab} tokens), `GPT2Tokenizer`; `<|endoftext|>` is bos, eos
  and unk; no pad token.
- Prompt: the turns of a conversation joined by `<|endoftext|>`, ending with
  `<|endoftext|>`; the reply is generated until the next `<|endoftext|>`.
- Model: `GPT2LMHeadModel`, safetensors.

## Build
- preset `{preset_name}`, seed {seed}, final training loss {loss:.3f}
{dims}
"""


@contextmanager
def single_torch_thread() -> Iterator[None]:
    """Train on one intra-op thread, then restore the previous setting.

    Float reductions then happen in one fixed order whatever the core count, and on a small
    shared CPU one thread beats OpenMP workers spinning against other busy processes.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def is_complete(path: Path) -> bool:
    """Whether ``path`` holds a full checkpoint (model, config and tokenizer files)."""
    return all((path / name).is_file() for name in MODEL_FILES + TOKENIZER_FILES)


@contextmanager
def staged_directory(path: Path) -> Iterator[Path]:
    """A temporary sibling of `path` to write into; it replaces `path` when the block ends cleanly.

    An interrupted write never leaves a half-written directory where a complete one is expected.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield staging
        staging.chmod(0o755)  # mkdtemp makes it private; the service may run as another user
        for written in staging.iterdir():
            written.chmod(0o644)
        if path.exists():
            shutil.rmtree(path)
        staging.rename(path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def build_checkpoint(
    output_dir: Path,
    *,
    preset: PresetName = "default",
    seed: int = 0,
    train_seconds: float | None = None,
) -> Path:
    """Train tokenizer and model on the corpus and save them to ``output_dir``.

    The directory is written to a temporary sibling first and swapped in at the end, so an
    interrupted build never leaves a half checkpoint behind; an existing directory is
    replaced. ``train_seconds`` caps training time and makes the result machine dependent.
    """
    config = PRESETS[preset]
    deadline = None if train_seconds is None else time.monotonic() + train_seconds
    dialogues = load_dialogues(CORPUS_PATH)
    corpus_sha256 = hashlib.sha256(CORPUS_PATH.read_bytes()).hexdigest()

    tokenizer = train_tokenizer(dialogues, config)
    examples = encode_dialogues(tokenizer, dialogues, config.n_positions)
    eos_id = tokenizer.eos_token_id
    with single_torch_thread():
        torch.manual_seed(seed)
        model = GPT2LMHeadModel(model_config(tokenizer, config))
        loss = train_model(model, examples, config, seed=seed, pad_id=eos_id, deadline=deadline)

    output_dir = output_dir.resolve()
    with staged_directory(output_dir) as staging:
        tokenizer.save_pretrained(staging)
        tokenizer.backend_tokenizer.model.save(str(staging))  # vocab.json + merges.txt
        model.generation_config = GenerationConfig(  # type: ignore[no-untyped-call]
            bos_token_id=eos_id, eos_token_id=eos_id, pad_token_id=eos_id
        )
        model.save_pretrained(staging, safe_serialization=True)
        (staging / "MODEL_CARD.md").write_text(
            model_card(
                preset,
                config,
                seed=seed,
                vocab=len(tokenizer),
                loss=loss,
                corpus_sha256=corpus_sha256,
                dialogues=len(dialogues),
            ),
            encoding="utf-8",
        )
    return output_dir


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tools.training.offline_model``: build the checkpoint unless it already exists."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=Path("models/dialogpt-clinic-es"))
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--train-seconds",
        type=float,
        default=None,
        help="wall-clock cap on training (makes the result non-deterministic)",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if complete")
    args = parser.parse_args(argv)

    output: Path = args.output
    transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    if is_complete(output) and not args.force:
        print(f"{output}: complete checkpoint already present, nothing to do (use --force)")
        return 0
    started = time.monotonic()
    built = build_checkpoint(output, preset=args.preset, seed=args.seed, train_seconds=args.train_seconds)
    elapsed = time.monotonic() - started
    print(f"built {args.preset} checkpoint (seed {args.seed}) in {built} in {elapsed:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
