import jax
import pytest

# Silent broadcasting between (n,) and (n, 1) arrays is a classic bug: make it an error.
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def x64():
    """Run a test in float64, for checks tighter than float32 round-off allows."""
    with jax.experimental.enable_x64():
        yield
