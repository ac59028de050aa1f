import Testing
@testable import BerthAPI

/// Progress strings as dockerd wrote them in the reference captures (pull and push).
struct ProgressBarTests {
    @Test(arguments: [
        (115, 115, "[==================================================>]     115B/115B"),
        (35840, 1_982_333, "[>                                                  ]  35.84kB/1.982MB"),
        (512, 6, "[==================================================>]     512B"),
        (1_996_800, 1_982_333, "[==================================================>]  1.997MB"),
    ] as [(Int64, Int64, String)])
    func progressMatchesDockerd(current: Int64, total: Int64, expected: String) {
        #expect(DistributionRoutes.progressBar(current, total) == expected)
    }
}
