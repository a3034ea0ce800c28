#!/usr/bin/env bash
# Launches train_ttm.py with torchrun. One machine: ./launch.sh (all its GPUs, or 1 CPU process).
# Several machines: run this on every node with the same MASTER_ADDR and NNODES and its own NODE_RANK:
#   NNODES=2 NODE_RANK=0 NPROC_PER_NODE=4 MASTER_ADDR=node1 ./launch.sh     # on node1
#   NNODES=2 NODE_RANK=1 NPROC_PER_NODE=4 MASTER_ADDR=node1 ./launch.sh     # on node2
# Extra arguments go to train_ttm.py (e.g. --max-steps 1000, --per-device-batch-size 64); TORCHRUN_ARGS
# go to torchrun (Debian's torch 1.13 on Python 3.11 needs TORCHRUN_ARGS="--redirects 1 --tee 1").
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
if [ -z "${NPROC_PER_NODE:-}" ]; then
  NPROC_PER_NODE=$("$PYTHON" -c 'import torch; print(max(1, torch.cuda.device_count()))')
fi
NNODES="${NNODES:-1}"
if [ "$NNODES" = 1 ]; then
  # shellcheck disable=SC2086 # TORCHRUN_ARGS holds several words
  exec "$PYTHON" -m torch.distributed.run ${TORCHRUN_ARGS:-} --standalone --nnodes 1 --nproc_per_node "$NPROC_PER_NODE" train_ttm.py "$@"
fi
: "${MASTER_ADDR:?set MASTER_ADDR to the host name of the first node}"
# shellcheck disable=SC2086
exec "$PYTHON" -m torch.distributed.run ${TORCHRUN_ARGS:-} \
  --nnodes "$NNODES" --node_rank "${NODE_RANK:?set NODE_RANK (0 … NNODES-1)}" --nproc_per_node "$NPROC_PER_NODE" \
  --master_addr "$MASTER_ADDR" --master_port "${MASTER_PORT:-29500}" \
  train_ttm.py "$@"
