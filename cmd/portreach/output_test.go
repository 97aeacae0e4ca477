package main

import (
	"io/fs"
	"testing"
)

// The kernel's fs.protected_symlinks rule, as resolveOutput applies it to
// the links it follows itself (fs/namei.c, may_follow_link).
func TestMayFollowLink(t *testing.T) {
	const (
		root   = 0
		alice  = 1000
		nobody = 65534
	)
	tmp := fs.ModeDir | fs.ModeSticky | 0o777 // /tmp
	for _, c := range []struct {
		name                       string
		follower, linkOwner, dirOw uint32
		dirMode                    fs.FileMode
		want                       bool
	}{
		{"root, nobody's link in root's /tmp", root, nobody, root, tmp, false},
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
		if got := mayFollowLink(c.follower, c.linkOwner, c.dirOw, c.dirMode); got != c.want {
			t.Errorf("%s: mayFollowLink = %v, want %v", c.name, got, c.want)
		}
	}
}
