//go:build unix

package safefile

import (
	"errors"
	"syscall"
)

const noFollow = syscall.O_NOFOLLOW

// isLoop reports the error O_NOFOLLOW gives for a symbolic link.
func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }
