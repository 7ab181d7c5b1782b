import Foundation

/// Moore–Penrose pseudo-inverse of a small symmetric matrix by cyclic Jacobi rotations.
///
/// The k-group log-rank covariance is singular when a group is never at risk at any failure;
/// lifelines then uses numpy's `pinv`, and so do we, dropping eigenvalues below
/// 1e-12 × the largest (rounding noise, not information).
enum SymmetricPseudoInverse {
    static func pseudoInverse(_ matrix: [[Double]]) -> [[Double]] {
        let n = matrix.count
        if n == 0 { return [] }
        var a = matrix
        var vectors = (0..<n).map { i in (0..<n).map { j in i == j ? 1.0 : 0.0 } }
        for _ in 0..<100 {
            var offDiagonal = 0.0
            for p in 0..<n { for q in (p + 1)..<n { offDiagonal += a[p][q] * a[p][q] } }
            var diagonal = 0.0
            for p in 0..<n { diagonal += a[p][p] * a[p][p] }
            if offDiagonal <= 1e-30 * diagonal || offDiagonal == 0 { break }
            for p in 0..<n {
                for q in (p + 1)..<n where a[p][q] != 0 {
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot()
                    let s = t * c
                    for k in 0..<n {
                        let akp = a[k][p], akq = a[k][q]
                        a[k][p] = c * akp - s * akq
                        a[k][q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p][k], aqk = a[q][k]
                        a[p][k] = c * apk - s * aqk
                        a[q][k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = vectors[k][p], vkq = vectors[k][q]
                        vectors[k][p] = c * vkp - s * vkq
                        vectors[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let eigenvalues = (0..<n).map { a[$0][$0] }
        let largest = eigenvalues.map(abs).max() ?? 0
        let cutoff = largest * 1e-12
        var result = Array(repeating: Array(repeating: 0.0, count: n), count: n)
        for k in 0..<n where abs(eigenvalues[k]) > cutoff && largest > 0 {
            let inverse = 1 / eigenvalues[k]
            for i in 0..<n {
                let vik = vectors[i][k] * inverse
                for j in 0..<n { result[i][j] += vik * vectors[j][k] }
            }
        }
        return result
    }
}
