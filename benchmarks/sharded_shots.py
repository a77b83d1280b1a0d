"""FWI's shots spread over devices: `seismic.shots`' vmap with its shot axis sharded.

The shots are independent, so the source indices are laid out along a one-axis device mesh
("shots") and the velocity is replicated; `jax.jit` then partitions the vmapped propagation
so each device runs its share of shots, and the gradient's sum over shots becomes one
all-reduce. The code does not name a device kind or count: on a node with 8 GPUs,
`jax.devices()` lists the 8 GPUs and the same lines split the shots 8 ways.

Here, on a CPU, `XLA_FLAGS=--xla_force_host_platform_device_count=N` makes N host devices;
run.py runs this script once with N=1 and once with N=2, each in a fresh process (the flag is
read when JAX starts), and prints JSON: forward and gradient times for all shots.
"""

import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from course_utils import seismic, timing


def best_ms(fn, args, repeats):
    """Best of `repeats` blocked runs after a compiling one, in ms (course_utils.timing)."""
    return 1e3 * timing.time_function(fn, *args, repeats=repeats).best


def survey(n_shots, config):
    """Sources spread between the sponges, receivers every 0.1 m there; velocity with a bump."""
    inner = config.x[config.interior]
    sources = np.linspace(inner[0], inner[-1], n_shots)
    receivers = inner[::max(1, round(0.1 / config.dx))]
    c = 1.5 + 0.3 * np.exp(-((config.x - config.length / 2) / 0.3) ** 2)
    return (jnp.asarray(c, jnp.float32), seismic.grid_index(sources, config),
            seismic.grid_index(receivers, config))


def measure(n_shots=16, repeats=5):
    config = seismic.SeismicConfig()
    c, source_index, receiver_index = survey(n_shots, config)
    mesh = Mesh(np.array(jax.devices()), ("shots",))
    by_shot = NamedSharding(mesh, PartitionSpec("shots"))
    everywhere = NamedSharding(mesh, PartitionSpec())
    source_index = jax.device_put(source_index, by_shot)
    c = jax.device_put(c, everywhere)

    def traces(c, source_index):  # the lines of seismic.shots, after its checks
        vmapped = jax.vmap(seismic.traces_at_index, in_axes=(None, 0, None, None))
        return vmapped(c, source_index, receiver_index, config)

    observed = jax.jit(traces)(1.05 * c, source_index)
    forward = jax.jit(traces)
    gradient = jax.jit(jax.grad(lambda c, s: 0.5 * jnp.sum((traces(c, s) - observed) ** 2)))
    check = jax.jit(traces)(c, source_index)
    reference = seismic.shots(np.asarray(c), config.x[np.asarray(source_index)],
                              config.x[receiver_index], config)
    return dict(devices=jax.device_count(), n_shots=n_shots, nx=config.nx, nt=config.nt,
                output_sharding=str(check.sharding.spec),
                max_difference=float(jnp.max(jnp.abs(check - reference))),
                forward_ms=best_ms(forward, (c, source_index), repeats),
                gradient_ms=best_ms(gradient, (c, source_index), repeats))


if __name__ == "__main__":
    print(json.dumps(measure(*map(int, sys.argv[1:]))))
