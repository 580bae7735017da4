// Package safefile creates and reads the files that hold the log or a
// secret (the SQLite database, the master key, the bootstrap admin key):
// created with mode 0600 and O_EXCL, so never over an existing file, and
// never through a symbolic link, which anyone able to write the directory
// could have planted to redirect a secret or the log elsewhere.
package safefile
