// Package safefile creates and reads the files that hold the log, a
// secret or personal data (the SQLite database, the master key, the
// bootstrap admin key, exports): created with mode 0600 and O_EXCL, so
// never over an existing file unless the operator asked for a replacement,
// and never through a symbolic link, which anyone able to write the
// directory could have planted to redirect a secret or the log elsewhere.
package safefile
