package store

import "io/fs"

func subFS() (fs.FS, error) { return fs.Sub(migrations, "migrations") }
