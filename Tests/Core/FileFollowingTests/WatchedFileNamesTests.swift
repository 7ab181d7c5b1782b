import FileFollowing
import Testing

@Test func foldersIgnoreDotPartialLockAndSidecarFilesAndHonourTheGlob() {
    let any = WatchedFileFilter()
    for name in [".DS_Store", "run.csv.part", "run.TMP", "~$book.xlsx", "cell7.cell.toml"] {
        #expect(!any.follows(name), "\(name)")
    }
    #expect(any.follows("Channel_11.xlsx") && any.follows("run.mpr"))
    let glob = WatchedFileFilter(pattern: "*.mpr")
    #expect(glob.follows("a.mpr") && !glob.follows("a.mpt"))
    #expect(glob.exclusion(of: "a.mpt") == "not matching *.mpr")
}

@Test func aChannelIsTheStemAFixedIdOrARegexGroup() throws {
    #expect(try ChannelRule(setting: nil).channelID(fileName: "cell7.csv", stem: "cell7") == "cell7")
    #expect(try ChannelRule(setting: "3-1").channelID(fileName: "cell7.csv", stem: "cell7") == "3-1")
    let rule = try ChannelRule(setting: "_Channel_(\\d+)")
    #expect(try rule.channelID(fileName: "bs542_Channel_11.xlsx", stem: "bs542_Channel_11") == "11")
    #expect(throws: ChannelRuleError.self) { try rule.channelID(fileName: "other.xlsx", stem: "other") }
    #expect(throws: ChannelRuleError.self) { try ChannelRule(setting: "bad(") }
}

@Test func vendorsSplitExperimentsAreOneExperimentInPartOrder() {
    let first = ExperimentPart(fileName: "run_01_OCV_C01.mpr"), second = ExperimentPart(fileName: "run_02_GCPL_C01.mpr")
    #expect(first.experimentKey == second.experimentKey)
    #expect(first.part == 1 && second.part == 2 && first.stem == "run_C01")
    #expect(ExperimentPart(fileName: "run_02_GCPL_C02.mpr").experimentKey != first.experimentKey, "another channel")
    let arbin = (ExperimentPart(fileName: "cell3_Wb_1.xlsx"), ExperimentPart(fileName: "cell3_Wb_2.xlsx"))
    #expect(arbin.0.experimentKey == arbin.1.experimentKey && arbin.0.part == 1 && arbin.1.part == 2 && arbin.0.stem == "cell3")
    // Maccor's extension is the channel: two channels' files of one test name are two tests.
    #expect(ExperimentPart(fileName: "test_4267.081").experimentKey != ExperimentPart(fileName: "test_4267.082").experimentKey)
    let single = ExperimentPart(fileName: "250116_kigr_gen6_01_02_GCPL_CD8.mpr")
    #expect(single.part == 0 && single.experimentKey == "250116_kigr_gen6_01_02_GCPL_CD8.mpr", "CD8 is not a channel CNN")
    #expect(ExperimentPart(fileName: "plain.csv").experimentKey == "plain.csv")
    #expect(ExperimentPart(fileName: "plain.csv").stem == "plain")
}
