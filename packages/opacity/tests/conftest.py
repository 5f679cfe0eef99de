import jax

# Tests run in float64 (the library itself never switches x64 on).
jax.config.update("jax_enable_x64", True)
