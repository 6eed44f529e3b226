//go:build race

package bench

// raceEnabled: under the race detector RSA signing is about 150 times
// slower, so the end-to-end tests publish fewer events.
const raceEnabled = true
