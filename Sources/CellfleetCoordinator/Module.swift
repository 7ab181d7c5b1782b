// CellfleetCoordinator: see the package overview in Package.swift.
