#!/usr/bin/env python3
"""Fine-tune a TinyTimeMixer on a TTM Studio job folder with PyTorch DDP.

Written for TTM Studio (Apache-2.0). The folder this file sits in was exported by
`ttm-studio jobs export`; it holds the training and validation series of one split (never
its test part), the starting checkpoint and the training configuration. This script trains
the same way the app does (same windows, data order, masked loss, AdamW, learning-rate
schedule, gradient clipping, validation, early stopping and best-checkpoint rule), so the
model it writes can be imported back with `ttm-studio jobs import <folder>`.

Runs:
  single process:   python3 train_ttm.py
  one node, 4 GPUs: torchrun --nproc_per_node 4 train_ttm.py
  several nodes:    see launch.sh and slurm.sbatch

Rank 0 writes output/: checkpoints/last and checkpoints/best (Hugging Face layout: config.json,
model.safetensors, plus preprocessor.json, training_state.safetensors, run.json),
metrics.jsonl (one JSON object per scalar), tensorboard/ event files, result.json and
check_forecasts.* (the best model's forecasts of a few validation windows, which the app
recomputes on import). A job that stops (pre-emption, node failure) resumes from
output/checkpoints/last when started again with the same command.

Nothing here loads pickles: weights and optimizer moments are safetensors read and written
by the small functions below, so this script needs only torch, numpy and granite-tsfm.
"""
import argparse
import datetime
import json
import math
import os
import platform
import shutil
import struct
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset, DistributedSampler

JOB_FORMAT = "ttm-studio-cluster-job"
JOB_FORMAT_VERSION = 1
HERE = os.path.dirname(os.path.abspath(__file__))


def import_ttm():
    """granite-tsfm's classes; the bare module layout (a test harness) when tsfm_public is absent."""
    try:
        from tsfm_public.models.tinytimemixer import TinyTimeMixerConfig, TinyTimeMixerForPrediction
    except ImportError:
        try:
            from tinytimemixer.configuration_tinytimemixer import TinyTimeMixerConfig
            from tinytimemixer.modeling_tinytimemixer import TinyTimeMixerForPrediction
        except ImportError:
            sys.exit("train_ttm.py needs granite-tsfm: pip install -r requirements.txt")
    return TinyTimeMixerConfig, TinyTimeMixerForPrediction


# ---------------------------------------------------------------- safetensors (no pickle)

_ST_DTYPES = {"F64": np.float64, "F32": np.float32, "I64": np.int64, "I32": np.int32, "U8": np.uint8}
_ST_NAMES = {np.dtype(v).str: k for k, v in _ST_DTYPES.items()}


def read_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    n = struct.unpack("<Q", buf[:8])[0]
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None) or {}
    tensors = {}
    for name, h in header.items():
        if h["dtype"] not in _ST_DTYPES:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {h['dtype']}")
        a, b = h["data_offsets"]
        arr = np.frombuffer(buf, dtype=np.dtype(_ST_DTYPES[h["dtype"]]).newbyteorder("<"), count=(b - a) // np.dtype(_ST_DTYPES[h["dtype"]]).itemsize, offset=8 + n + a)
        tensors[name] = arr.reshape(h["shape"]).copy()
    return tensors, meta


def write_safetensors(path, tensors, metadata=None):
    """Writes to path.tmp, fsyncs, then renames: a crash never leaves a half-written file."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        le = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        data = le.tobytes()
        header[name] = {"dtype": _ST_NAMES[np.dtype(arr.dtype).newbyteorder("<").str], "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for c in chunks:
            f.write(c)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, allow_nan=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ---------------------------------------------------------------- the app's seeded RNG

_M32 = 0xFFFFFFFF


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & _M32


class Xoshiro128ss:
    """xoshiro128** seeded through splitmix32, bit-identical to the app's Rng (data order)."""

    def __init__(self, seed):
        x = seed & _M32
        state = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & _M32
            z = x
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & _M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & _M32
            state.append((z ^ (z >> 16)) & _M32)
        self.s = state

    def next_uint32(self):
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & _M32, 7) * 9) & _M32
        t = (s1 << 9) & _M32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self):
        hi = self.next_uint32() >> 5
        lo = self.next_uint32() >> 6
        return (hi * 67108864 + lo) / 9007199254740992

    def int(self, n):
        return math.floor(self.uniform() * n)


def epoch_order(n, seed, epoch):
    """The app's per-epoch permutation of the training windows (Fisher-Yates)."""
    rng = Xoshiro128ss((seed ^ (((epoch + 1) * 0x9E3779B1) & _M32)) & _M32)
    order = np.arange(n, dtype=np.int64)
    for i in range(n - 1, 0, -1):
        j = rng.int(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


# ---------------------------------------------------------------- learning-rate schedules


def _anneal_cos(start, end, pct):
    return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)


def _anneal_linear(start, end, pct):
    return (end - start) * pct + start


def schedule_at(kind, lr, warmup, total, step):
    """(lr, beta1 or None) for optimizer step `step` (0-based), as the app computes them."""
    if kind == "constant":
        return lr, None
    if kind in ("warmup-linear", "warmup-cosine"):
        step = min(step, total)
        if step < warmup:
            return lr * step / max(1, warmup), None
        if kind == "warmup-linear":
            return lr * max(0.0, (total - step) / max(1, total - warmup)), None
        progress = (step - warmup) / max(1, total - warmup)
        return lr * max(0.0, 0.5 * (1 + math.cos(math.pi * progress))), None
    if kind == "one-cycle":
        # torch's OneCycleLR (two phases, cos annealing, momentum cycled 0.95 -> 0.85 -> 0.95).
        total = max(total, 4)
        step = min(step, total)
        initial = lr / 25.0
        minimum = initial / 1e4
        end1 = 0.3 * total - 1
        end2 = total - 1
        if step <= end1:
            pct = step / end1
            return _anneal_cos(initial, lr, pct), _anneal_cos(0.95, 0.85, pct)
        pct = (step - end1) / (end2 - end1)
        return _anneal_cos(lr, minimum, pct), _anneal_cos(0.85, 0.95, pct)
    raise ValueError(f"unknown schedule {kind}")


# ---------------------------------------------------------------- early stopping


class EarlyStopping:
    """Lower validation loss is better; stop after `patience` evaluations without improvement."""

    def __init__(self, patience, min_delta=0.0, state=None):
        self.state = state or {"patience": patience, "minDelta": min_delta, "bestValue": None, "bestStep": None, "badEvaluations": 0, "stopped": False}

    def update(self, step, loss):
        s = self.state
        improved = math.isfinite(loss) and (s["bestValue"] is None or loss < s["bestValue"] - s["minDelta"])
        if improved:
            s["bestValue"], s["bestStep"], s["badEvaluations"] = loss, step, 0
        else:
            s["badEvaluations"] += 1
        if s["badEvaluations"] >= s["patience"]:
            s["stopped"] = True
        return improved


# ---------------------------------------------------------------- data


class WindowShards(Dataset):
    """One part's windows: index i -> (scaled past [L, C], scaled future [P, C], observed mask [P, C])."""

    def __init__(self, data_dir, part, index):
        info = index["parts"][part]
        channels = len(index["channels"])
        values = np.fromfile(os.path.join(data_dir, info["values"]), dtype="<f4").reshape(-1, channels)
        self.mask = np.fromfile(os.path.join(data_dir, info["mask"]), dtype="<u1").reshape(-1, channels)
        self.windows = np.fromfile(os.path.join(data_dir, info["windows"]), dtype="<i4").reshape(-1, 2)
        if values.shape[0] != info["rows"] or self.windows.shape[0] != info["windowCount"]:
            raise ValueError(f"data/{part}.* do not match data/index.json (rows {values.shape[0]} vs {info['rows']}, windows {self.windows.shape[0]} vs {info['windowCount']})")
        mean = np.asarray(index["scaler"]["mean"], dtype=np.float64)
        std = np.asarray(index["scaler"]["std"], dtype=np.float64)
        # Scaled in float64 and stored in float32, as the app does.
        self.values = ((values.astype(np.float64) - mean) / std).astype(np.float32)
        self.series_offset = np.asarray([s["offset"] for s in info["series"]], dtype=np.int64)
        self.order = None
        self.L = index["contextLength"]
        self.P = index["forecastLength"]

    def __len__(self):
        return self.windows.shape[0]

    def set_order(self, order):
        """Position i of the epoch reads window order[i] (the app's seeded permutation)."""
        self.order = order

    def __getitem__(self, i):
        w = self.order[i] if self.order is not None else i
        series, start = self.windows[w]
        row = self.series_offset[series] + start
        return self.values[row:row + self.L], self.values[row + self.L:row + self.L + self.P], self.mask[row + self.L:row + self.L + self.P]

    def batch(self, positions):
        items = [self[int(i)] for i in positions]
        past = torch.from_numpy(np.stack([a for a, _, _ in items]))
        future = torch.from_numpy(np.stack([b for _, b, _ in items]))
        mask = torch.from_numpy(np.stack([c for _, _, c in items]).astype(np.float32))
        return past, future, mask


# ---------------------------------------------------------------- losses


def element_loss(kind, pred, target, delta, quantile):
    d = pred - target
    if kind == "mse":
        return d * d
    if kind == "mae":
        return d.abs()
    if kind == "huber":
        a = d.abs()
        q = torch.clamp(a, max=delta)
        return 0.5 * q * q + delta * (a - q)
    if kind == "pinball":
        e = -d
        return torch.maximum(quantile * e, (quantile - 1) * e)
    raise ValueError(f"loss {kind} cannot be trained")


# ---------------------------------------------------------------- TensorBoard without tensorboard

_CRC_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def _crc32c(data):
    c = 0xFFFFFFFF
    for byte in data:
        c = _CRC_TABLE[(c ^ byte) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def _masked_crc(data):
    c = _crc32c(data)
    return ((((c >> 15) | (c << 17)) & _M32) + 0xA282EAD8) & _M32


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, wire, payload):
    key = _varint((num << 3) | wire)
    if wire == 2:
        return key + _varint(len(payload)) + payload
    return key + payload


class EventWriter:
    """Scalar summaries in TensorBoard's event-file format (TFRecord of Event protos)."""

    def __init__(self, logdir):
        os.makedirs(logdir, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time())}.{platform.node() or 'host'}.{os.getpid()}"
        self.f = open(os.path.join(logdir, name), "ab")
        self._write(_field(1, 1, struct.pack("<d", time.time())) + _field(3, 2, b"brain.Event:2"))

    def _write(self, event):
        header = struct.pack("<Q", len(event))
        self.f.write(header + struct.pack("<I", _masked_crc(header)) + event + struct.pack("<I", _masked_crc(event)))

    def scalar(self, tag, value, step):
        value_msg = _field(1, 2, tag.encode("utf-8")) + _field(2, 5, struct.pack("<f", value))
        summary = _field(1, 2, value_msg)
        self._write(_field(1, 1, struct.pack("<d", time.time())) + _field(2, 0, _varint(step)) + _field(5, 2, summary))

    def flush(self):
        self.f.flush()

    def close(self):
        self.f.close()


# ---------------------------------------------------------------- the job


def parse_args(argv):
    p = argparse.ArgumentParser(description="Fine-tune TinyTimeMixer on a TTM Studio job folder (single process or torchrun/DDP).")
    p.add_argument("--job", default=HERE, help="job folder (default: this script's folder)")
    p.add_argument("--output", default=None, help="where checkpoints and logs go (default: <job>/output)")
    p.add_argument("--per-device-batch-size", type=int, default=None, help="windows per process and step (default: the job's batch size / processes)")
    p.add_argument("--max-steps", type=int, default=None, help="cap on optimizer steps (overrides the job's)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--restart", action="store_true", help="ignore output/checkpoints/last and start from the base model")
    p.add_argument("--check-windows", type=int, default=64, help="validation windows whose forecasts are written for the import check")
    return p.parse_args(argv)


def log(rank, *msg):
    if rank == 0:
        print(f"[{datetime.datetime.now().strftime('%H:%M:%S')}]", *msg, flush=True)


def main(argv=None):
    args = parse_args(argv)
    job_dir = os.path.abspath(args.job)
    out_dir = os.path.abspath(args.output or os.path.join(job_dir, "output"))
    with open(os.path.join(job_dir, "job.json"), encoding="utf-8") as f:
        job = json.load(f)
    if job.get("format") != JOB_FORMAT or job.get("formatVersion") != JOB_FORMAT_VERSION:
        sys.exit(f"{job_dir}/job.json is not a {JOB_FORMAT} v{JOB_FORMAT_VERSION} job (format {job.get('format')} v{job.get('formatVersion')})")
    t_cfg = job["training"]

    # Launched by torchrun/SLURM: WORLD_SIZE etc. are set; otherwise a single process.
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    if distributed:
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")

    def all_sum(values):
        """Sums a list of floats over all processes (float64)."""
        t = torch.tensor(values, dtype=torch.float64, device=device)
        if distributed:
            dist.all_reduce(t)
        return t.tolist()

    seed = int(t_cfg["seed"])
    torch.manual_seed(seed + rank)
    np.random.seed((seed + rank) & _M32)

    data_dir = os.path.join(job_dir, "data")
    with open(os.path.join(data_dir, "index.json"), encoding="utf-8") as f:
        index = json.load(f)
    train = WindowShards(data_dir, "train", index)
    val = WindowShards(data_dir, "val", index) if "val" in index["parts"] else None
    n_targets = sum(1 for c in index["channels"] if c["role"] == "target")

    global_batch = int(t_cfg["batchSize"])
    per_device = args.per_device_batch_size or t_cfg.get("batchSizePerDevice")
    if per_device is None:
        if global_batch % world != 0:
            sys.exit(f"batch size {global_batch} does not divide over {world} processes; pass --per-device-batch-size")
        per_device = global_batch // world
    per_device = int(per_device)
    B = per_device * world
    steps_per_epoch = math.ceil(len(train) / B)
    max_steps = args.max_steps if args.max_steps is not None else t_cfg.get("maxSteps")
    total_steps = steps_per_epoch * int(t_cfg["numEpochs"])
    if max_steps is not None:
        total_steps = min(total_steps, int(max_steps))
    validate_every = t_cfg.get("validateEverySteps") or steps_per_epoch
    checkpoint_every = t_cfg.get("checkpointEverySteps") or steps_per_epoch
    warmup = min(int(t_cfg["warmupSteps"]), total_steps)
    step_weights = t_cfg.get("lossStepWeights")

    TinyTimeMixerConfig, TinyTimeMixerForPrediction = import_ttm()
    base_dir = os.path.join(job_dir, "base_model")
    last_dir = os.path.join(out_dir, "checkpoints", "last")
    best_dir = os.path.join(out_dir, "checkpoints", "best")
    resume = os.path.exists(os.path.join(last_dir, "training_state.safetensors")) and not args.restart
    start_dir = last_dir if resume else base_dir
    with open(os.path.join(start_dir, "config.json"), encoding="utf-8") as f:
        hf_config = json.load(f)
    model = TinyTimeMixerForPrediction(TinyTimeMixerConfig(**hf_config))
    weights, _ = read_safetensors(os.path.join(start_dir, "model.safetensors"))
    model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=True)
    model.to(device)
    if t_cfg["freezeBackbone"]:
        for name, p in model.named_parameters():
            if name.startswith("backbone."):
                p.requires_grad_(False)
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not trainable:
        sys.exit("Nothing to train: every parameter is frozen.")
    pci = hf_config.get("prediction_channel_indices")
    exogenous = hf_config.get("exogenous_channel_indices") is not None
    freq_token = index.get("frequencyToken") if hf_config.get("resolution_prefix_tuning") else None
    loss_cfg = t_cfg["loss"]

    ddp = DistributedDataParallel(model, device_ids=[local_rank] if use_cuda else None) if distributed else model
    beta1, beta2 = t_cfg.get("adamBetas", [0.9, 0.999])
    optimizer = torch.optim.AdamW([p for _, p in trainable], lr=float(t_cfg["learningRate"]), betas=(beta1, beta2), eps=float(t_cfg.get("adamEps", 1e-8)), weight_decay=float(t_cfg["weightDecay"]))
    patience = int(t_cfg["earlyStoppingPatience"])
    early = EarlyStopping(patience if patience > 0 else 2**53)
    last_valid = None
    start_step = 0
    if resume:
        state, meta = read_safetensors(os.path.join(last_dir, "training_state.safetensors"))
        start_step = int(state["step"].reshape(-1)[0])
        for name, p in trainable:
            optimizer.state[p] = {"step": torch.tensor(float(start_step)), "exp_avg": torch.from_numpy(state["exp_avg." + name]).to(device), "exp_avg_sq": torch.from_numpy(state["exp_avg_sq." + name]).to(device)}
        if "earlyStopping" in meta:
            early = EarlyStopping(0, state=json.loads(meta["earlyStopping"]))
        if meta.get("lastValidLoss", "null") != "null":
            last_valid = float(meta["lastValidLoss"])
        log(rank, f"resuming from {last_dir} at step {start_step}")

    def scaled_io(batch):
        past, future, mask = (t.to(device) for t in batch)
        out = ddp(past_values=past, future_values=future if exogenous else None, return_loss=False, **({"freq_token": torch.full((past.shape[0],), freq_token, dtype=torch.long, device=device)} if freq_token is not None else {}))
        return out.prediction_outputs, future, mask

    def validation_loss():
        """Masked MSE of the target channels on validation windows, split over processes."""
        if val is None or len(val) == 0:
            return None
        model.eval()
        total, weight = 0.0, 0.0
        mine = np.arange(rank, len(val), world)
        with torch.no_grad():
            for s in range(0, len(mine), max(global_batch, 256)):
                pred, future, mask = scaled_io(val.batch(mine[s:s + max(global_batch, 256)]))
                P = pred.shape[1]
                e = pred[:, :, :n_targets].double() - future[:, :P, :n_targets].double()
                m = mask[:, :P, :n_targets].double()
                if step_weights is not None:
                    m = m * torch.tensor(step_weights[:P], dtype=torch.float64, device=device)[None, :, None]
                total += float((m * e * e).sum())
                weight += float(m.sum())
        total, weight = all_sum([total, weight])
        model.train()
        return total / weight if weight > 0 else float("nan")

    if rank == 0:
        os.makedirs(os.path.join(out_dir, "checkpoints"), exist_ok=True)
    metrics_file = open(os.path.join(out_dir, "metrics.jsonl"), "a", encoding="utf-8") if rank == 0 else None
    tb = EventWriter(os.path.join(out_dir, "tensorboard")) if rank == 0 else None

    def metric(step, epoch, name, value):
        # Only finite values: the log is strict JSON, and a non-finite loss ends the run anyway.
        if rank != 0 or not math.isfinite(value):
            return
        metrics_file.write(json.dumps({"step": step, "epoch": epoch, "name": name, "value": value, "ts": int(time.time() * 1000)}) + "\n")
        tb.scalar(name, value, step)

    def save(directory, step, epoch):
        """Rank 0 writes a checkpoint into a fresh folder and swaps it in (never half-written)."""
        if rank != 0:
            return
        tmp = directory + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        write_json(os.path.join(tmp, "config.json"), hf_config)
        write_safetensors(os.path.join(tmp, "model.safetensors"), {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()})
        shutil.copyfile(os.path.join(base_dir, "preprocessor.json"), os.path.join(tmp, "preprocessor.json"))
        moments = {"step": np.asarray(step, dtype=np.int64)}
        for name, p in trainable:
            st = optimizer.state.get(p, {})
            moments["exp_avg." + name] = (st["exp_avg"] if "exp_avg" in st else torch.zeros_like(p)).detach().cpu().numpy()
            moments["exp_avg_sq." + name] = (st["exp_avg_sq"] if "exp_avg_sq" in st else torch.zeros_like(p)).detach().cpu().numpy()
        meta = {"format": "ttm-studio-adamw", "epoch": str(epoch), "earlyStopping": json.dumps(early.state), "lastValidLoss": json.dumps(last_valid), "trainWindows": index["parts"]["train"]["fingerprint"]}
        write_safetensors(os.path.join(tmp, "training_state.safetensors"), moments, meta)
        write_json(os.path.join(tmp, "run.json"), {
            "formatVersion": 1, "runId": None, "createdAt": datetime.datetime.now(datetime.timezone.utc).isoformat(), "seed": seed,
            "splitId": str(job["source"]["split"]["id"]), "dataHashes": {"trainWindows": index["parts"]["train"]["fingerprint"]},
            "versions": {"trainTtmPy": str(JOB_FORMAT_VERSION), "torch": torch.__version__, "python": platform.python_version()},
            "trainingConfig": job["config"], "cluster": {"processes": world, "perDeviceBatchSize": per_device, "device": device.type},
        })
        old = directory + ".old"
        shutil.rmtree(old, ignore_errors=True)
        if os.path.exists(directory):
            os.replace(directory, old)
        os.replace(tmp, directory)
        shutil.rmtree(old, ignore_errors=True)

    log(rank, f"{world} process(es) on {device.type}; {len(train)} training windows, {len(val) if val is not None else 0} validation windows; "
        f"batch {per_device} x {world} = {B}; {steps_per_epoch} steps per epoch, {total_steps} steps")

    initial_valid = None
    if start_step == 0:
        initial_valid = validation_loss()
        if initial_valid is not None:
            metric(0, 0, "eval/loss", initial_valid)
            # The starting model is the first candidate for best, as in the app.
            if early.update(0, initial_valid):
                save(best_dir, 0, 0)

    sampler = DistributedSampler(train, num_replicas=world, rank=rank, shuffle=False, drop_last=False)
    params = [p for _, p in trainable]
    clip = float(t_cfg["gradientClipVal"])
    step = start_step
    stop_after = int(os.environ.get("TTM_STUDIO_STOP_AFTER_STEP", "0")) or None
    epoch_idx = None
    positions = None
    early_stopped = False
    status = "completed"
    t0 = time.time()
    model.train()
    while step < total_steps:
        k = step
        if k // steps_per_epoch != epoch_idx:
            epoch_idx = k // steps_per_epoch
            # The global batch of step k is the app's: positions k*B..(k+1)*B of the epoch's
            # permutation, dealt to the processes by DistributedSampler (rank r gets r, r+W, ...).
            train.set_order(epoch_order(len(train), seed, epoch_idx))
            sampler.set_epoch(epoch_idx)
            positions = list(iter(sampler))
        pos = k % steps_per_epoch
        lr, b1 = schedule_at(t_cfg["schedule"], float(t_cfg["learningRate"]), warmup, total_steps, k)
        for g in optimizer.param_groups:
            g["lr"] = lr
            if b1 is not None:
                g["betas"] = (b1, beta2)
        pred, future, mask = scaled_io(train.batch(positions[pos * per_device:(pos + 1) * per_device]))
        P = pred.shape[1]
        target = future[:, :P, :] if pci is None else future[:, :P, pci]
        m = mask[:, :P, :] if pci is None else mask[:, :P, pci]
        if step_weights is not None:
            m = m * torch.tensor(step_weights[:P], dtype=torch.float32, device=device)[None, :, None]
        el = element_loss(loss_cfg["kind"], pred, target, float(loss_cfg.get("delta") or 1.0), float(loss_cfg.get("quantile") or 0.5))
        local_sum = (el * m).sum()
        # The app's loss is one masked mean over the whole global batch. DDP averages gradients
        # over processes, so each process backpropagates its share of that mean, times W.
        local_count = float(m.sum())
        global_sum_check, global_count = all_sum([float(local_sum.detach()), local_count])
        denom = max(global_count, 1.0)
        optimizer.zero_grad(set_to_none=True)
        (local_sum * (world / denom)).backward()
        grad_norm = float(torch.nn.utils.clip_grad_norm_(params, clip if clip > 0 else float("inf")))
        loss = global_sum_check / denom
        step = k + 1
        epoch = step / steps_per_epoch
        if not math.isfinite(loss) or not math.isfinite(grad_norm):
            status = "diverged"
            log(rank, f"training diverged at step {step} (loss {loss}, gradient norm {grad_norm}); the last good checkpoint is kept. Lower the learning rate.")
            break
        optimizer.step()
        metric(step, epoch, "train/loss", loss)
        metric(step, epoch, "train/learning_rate", lr)
        metric(step, epoch, "train/grad_norm", grad_norm)
        if val is not None and len(val) > 0 and (step % validate_every == 0 or step == total_steps):
            vl = validation_loss()
            if not math.isfinite(vl):
                status = "diverged"
                log(rank, f"the validation loss became {vl} at step {step}; the last good checkpoint is kept. Lower the learning rate.")
                break
            last_valid = vl
            metric(step, epoch, "eval/loss", vl)
            improved = early.update(step, vl)
            early_stopped = early.state["stopped"]
            if improved:
                save(best_dir, step, epoch)
            log(rank, f"step {step}/{total_steps} epoch {epoch:.2f} loss {loss:.5f} validation {vl:.5f}{' (best)' if improved else ''}")
        final = step == total_steps or early_stopped
        if step % checkpoint_every == 0 or final:
            if rank == 0:
                metrics_file.flush()
                tb.flush()
            save(last_dir, step, epoch)
        if early_stopped:
            break
        if stop_after == step:
            # Test hook: end here as a pre-empted job would (no result.json; resume continues).
            log(rank, f"stopping after step {step} (TTM_STUDIO_STOP_AFTER_STEP)")
            if rank == 0:
                metrics_file.close()
                tb.close()
            if distributed:
                dist.destroy_process_group()
            return 75
    elapsed = time.time() - t0
    samples_per_second = (step - start_step) * B / max(elapsed, 1e-9)
    log(rank, f"{status} after {step} steps in {elapsed:.1f} s ({samples_per_second:.0f} samples/s)")

    if rank == 0:
        metrics_file.close()
        tb.close()
        model_dir = best_dir if os.path.exists(best_dir) else last_dir
        check = write_check_forecasts(model_dir, out_dir, val if val is not None and len(val) > 0 else train, "val" if val is not None and len(val) > 0 else "train",
                                      args.check_windows, TinyTimeMixerConfig, TinyTimeMixerForPrediction, freq_token, exogenous)
        write_json(os.path.join(out_dir, "result.json"), {
            "format": "ttm-studio-cluster-result", "formatVersion": 1, "status": status, "steps": step, "totalSteps": total_steps,
            "stepsPerEpoch": steps_per_epoch, "epochs": step / steps_per_epoch, "bestStep": early.state["bestStep"], "bestValidLoss": early.state["bestValue"],
            "initialValidLoss": initial_valid if initial_valid is not None and math.isfinite(initial_valid) else None, "earlyStopped": early_stopped, "modelDir": os.path.relpath(model_dir, out_dir),
            "processes": world, "perDeviceBatchSize": per_device, "globalBatchSize": B, "device": device.type,
            "samplesPerSecond": samples_per_second, "elapsedSeconds": elapsed, "checkForecasts": check,
            "versions": {"torch": torch.__version__, "python": platform.python_version()},
            "finishedAt": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        })
    if distributed:
        dist.barrier()
        dist.destroy_process_group()
    return 0 if status == "completed" else 1


def write_check_forecasts(model_dir, out_dir, shards, part, count, config_cls, model_cls, freq_token, exogenous):
    """The trained model's forecasts (scaled units) of the first windows of a part, for the import check."""
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    model = model_cls(config_cls(**cfg))
    weights, _ = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=True)
    model.eval()
    shards.set_order(None)
    n = min(count, len(shards))
    past, future, _ = shards.batch(range(n))
    with torch.no_grad():
        extra = {"freq_token": torch.full((n,), freq_token, dtype=torch.long)} if freq_token is not None else {}
        pred = model(past_values=past, future_values=future if exogenous else None, return_loss=False, **extra).prediction_outputs
    arr = pred.numpy().astype("<f4")
    arr.tofile(os.path.join(out_dir, "check_forecasts.f32"))
    return {"part": part, "windows": n, "shape": list(arr.shape), "file": "check_forecasts.f32"}


if __name__ == "__main__":
    sys.exit(main())
