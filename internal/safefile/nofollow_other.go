//go:build !unix

package safefile

// Without O_NOFOLLOW, Create relies on O_EXCL and ReadFile on the
// regular-file check of the opened file.
const noFollow = 0

func isLoop(error) bool { return false }
