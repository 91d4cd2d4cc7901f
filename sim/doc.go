// Package sim measures whether Steady gets better for each person: it runs
// simulated users, each with hidden traits (which support tools help them in
// which situations), through the real agent, memory and evaluation layers,
// and compares policies on the same users and the same random draws:
//
//   - memory: Steady as shipped, the bandit learning from the user's memory
//   - no-memory: the same bandit with retrieval off, so only its priors
//   - oracle: knows the persona, picks the fitting tool most likely to help
//   - random: uniform among the fitting tools
//
// A situation succeeds when the first tool the agent chose helped. Run
// returns the success rate per session index for each policy with 95%
// confidence intervals over users, and a paired test of memory against
// no-memory over the late sessions. docs/SIMULATION.md describes the
// experiment and its results.
package sim
