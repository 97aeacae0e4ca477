//go:build !linux

package scan

func newPoller() poller { return newDialPoller() }
