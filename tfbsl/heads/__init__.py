"""Distribution heads: layers whose output carries a `tfd.Distribution`
(`DistributionLambda` and the heads built on it, mixtures, the variational
Gaussian process, the KL penalties on a head). Public names are in
`tfbsl.layers`."""

__all__ = []
