// Package demo holds Vigil's built-in scenario (Finland's eastern border,
// August 2023 – January 2024) and the synthetic data generator behind
// `vigil gen`.
//
// Everything here is pure data: the scenario is built from small CSV tables
// embedded in the binary (data/fi-eastern-border-2023, see its SOURCE.md for
// provenance and licence) plus records written in code, and the generator is
// a deterministic function of its seed. Nothing touches the network, the
// file system or a database; loading the data set into a store is the
// loader's job.
//
// All prose in the scenario (narratives, summaries, policy details, notes)
// is written in the project's own words from facts in the sources; no
// sentence of a cited article is copied.
package demo
