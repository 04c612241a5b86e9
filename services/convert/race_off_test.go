//go:build !race

package convert

// raceDetector reports a -race build, whose shadow memory inflates RSS.
const raceDetector = false
