// CyclerReaders: see the package overview in Package.swift.
