//go:build race

package testutil

// raceEnabled is true when the tests run under the race detector; the
// binaries they start are then built with it too.
const raceEnabled = true
