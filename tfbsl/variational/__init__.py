"""Variational layers' machinery: the generic and the `tfp.layers`-named
dense and conv layers, their estimators, the KL rule, priors, posteriors,
and the VAE's `Sampling`. Public names are in `tfbsl.layers`,
`tfbsl.priors` and `tfbsl.posteriors`."""

__all__ = []
