"""FWI's shots spread over devices: `seismic.shots`' vmap with its shot axis sharded.

The shots are independent, so the source indices are laid out along a one-axis device mesh
("shots") and the velocity is replicated. The forward is the vmap under `jax.jit`, which
partitions it so each device runs its share of shots. The gradient is written per device
with `shard_map`: each device differentiates the misfit of its own shots and one `psum`
adds the devices' gradients at the end. Left to `jit`'s partitioner, the sharded vmap's
gradient sums over devices inside the backward time loop, once per step; it is measured
too ("partitioned"), with the cross-device operations inside each program's loops. The
code does not name a device kind or count: on a node with 8 GPUs, `jax.devices()` lists
the 8 GPUs and the same lines split the shots 8 ways.

Here, on a CPU, `XLA_FLAGS=--xla_force_host_platform_device_count=N` makes N host devices;
collect.py runs this script once with N=1 and once with N=2, each in a fresh process (the flag is
read when JAX starts), and prints JSON: forward and gradient times for all shots.
"""

import json
import re
import sys

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from course_utils import seismic
from profile_steps import best_ms, compiled_parts  # beside this script


def collectives_in_loops(compiled_text):
    """Cross-device operations inside the compiled program's loop bodies (0 is the aim)."""
    computations, bodies = compiled_parts(compiled_text)
    pattern = r"= \S+ (?:all-reduce|all-gather|collective-permute|all-to-all)[-a-z]*\("
    return sum(len(re.findall(pattern, computations[name])) for name in set(bodies)
               if name in computations)


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

    observed = jax.jit(traces)(1.05 * c, source_index)  # sharded by shot, as the sources
    forward = jax.jit(traces)

    def misfit(c, source_index, observed):
        return 0.5 * jnp.sum((traces(c, source_index) - observed) ** 2)

    def local_gradient(c, source_index, observed):  # on one device: its own shots
        return jax.lax.psum(jax.grad(misfit)(c, source_index, observed), "shots")  # one sum

    shots, replicated = PartitionSpec("shots"), PartitionSpec()
    gradient = jax.jit(jax.shard_map(local_gradient, mesh=mesh,
                                 in_specs=(replicated, shots, shots), out_specs=replicated,
                                 check_vma=False))  # loop carries start replicated (zeros)
    # the same gradient left to jit's partitioner: the sharded vmap differentiated whole
    partitioned = jax.jit(jax.grad(misfit))
    check = jax.jit(traces)(c, source_index)
    plain = jax.grad(misfit)(*(np.asarray(a) for a in (c, source_index, observed)))
    sharded = gradient(c, source_index, observed)
    reference = seismic.shots(np.asarray(c), config.x[np.asarray(source_index)],
                              config.x[receiver_index], config)
    return dict(devices=jax.device_count(), n_shots=n_shots, nx=config.nx, nt=config.nt,
                output_sharding=str(check.sharding.spec),
                max_difference=float(jnp.max(jnp.abs(check - reference))),
                gradient_difference=float(jnp.max(jnp.abs(sharded - plain))
                                          / jnp.max(jnp.abs(plain))),
                collectives_in_loops=collectives_in_loops(
                    gradient.lower(c, source_index, observed).compile().as_text()),
                partitioned_collectives_in_loops=collectives_in_loops(
                    partitioned.lower(c, source_index, observed).compile().as_text()),
                forward_ms=best_ms(forward, (c, source_index), repeats),
                gradient_ms=best_ms(gradient, (c, source_index, observed), repeats),
                partitioned_gradient_ms=best_ms(partitioned, (c, source_index, observed),
                                                repeats))


if __name__ == "__main__":
    print(json.dumps(measure(*map(int, sys.argv[1:]))))
