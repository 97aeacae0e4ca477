package main

import (
	"io/fs"
	"testing"
)

// The kernel's rule for another user's file in a sticky world-writable
// directory, as resolveOutput applies it to the links it follows and the
// files it replaces itself (fs/namei.c, may_follow_link, may_create_in_sticky).
func TestStickyAllows(t *testing.T) {
	const (
		root   = 0
		alice  = 1000
		nobody = 65534
	)
	tmp := fs.ModeDir | fs.ModeSticky | 0o777 // /tmp
	for _, c := range []struct {
		name               string
		user, owner, dirOw uint32
		dirMode            fs.FileMode
		want               bool
	}{
		{"root, nobody's file in root's /tmp", root, nobody, root, tmp, false},
		{"alice, nobody's link in root's /tmp", alice, nobody, root, tmp, false},
		{"root, alice's link in nobody's sticky dir", root, alice, nobody, tmp, false},
		{"root, nobody's link in /tmp 1733 (write for others, no read)", root, nobody, root, fs.ModeDir | fs.ModeSticky | 0o733, false},
		{"the follower's own link", alice, alice, root, tmp, true},
		{"root's own link", root, root, root, tmp, true},
		{"the directory owner's link", root, nobody, nobody, tmp, true},
		{"not sticky", root, nobody, root, fs.ModeDir | 0o777, true},
		{"sticky, not world-writable", root, nobody, root, fs.ModeDir | fs.ModeSticky | 0o775, true},
		{"an ordinary directory", root, nobody, alice, fs.ModeDir | 0o755, true},
	} {
		if got := stickyAllows(c.user, c.owner, c.dirOw, c.dirMode); got != c.want {
			t.Errorf("%s: stickyAllows = %v, want %v", c.name, got, c.want)
		}
	}
}
