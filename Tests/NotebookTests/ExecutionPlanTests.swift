import Foundation
import Testing
@testable import Notebook

/// The plan stage's def/use facts (no Swift run): what each cell reads and may change, which
/// earlier values the program hands the kernel, and which `cache: true` cells cannot be cached.
@Suite struct ExecutionPlanTests {
    func plan(_ cells: [String], front: String = "") throws -> ExecutionPlan {
        let markdown = (front.isEmpty ? "" : "---\n\(front)---\n\n") + cells.map { "```swift\n\($0)\n```\n" }.joined(separator: "\n")
        return try ExecutionPlan(notebook: NotebookParser.parse(markdown, path: "nb/x.md"), salt: "kernel 1")
    }

    func facts(_ cells: [String], _ index: Int) throws -> ProgramPlan.Cell {
        try #require(plan(cells).program.cells.first { $0.index == index })
    }

    @Test func readsAndChangesFollowFunctionsTypesAndClosuresTransitively() throws {
        let cells = [
            "var g = 1\nvar h = 2\nlet model = Sequential([Linear(2, 2)])",
            "func inner() -> Int { g }\nfunc outer() -> Int { inner() }\nfunc bump() { h += 1 }\nlet touch = { model.isTraining = false }",
            "//| cache: true\nlet r = outer()\nbump()\ntouch()",
        ]
        let cached = try facts(cells, 2)
        #expect(Set(["outer", "inner", "g", "bump", "h", "touch", "model"]).isSubset(of: Set(cached.reads)))
        #expect(Set(["h", "model"]).isSubset(of: Set(cached.changes)))
        #expect(!cached.reads.contains("r"))  // its own binding is not an input
        #expect(cached.binds == ["r"])
        #expect(cached.cached)
        // The values each cell binds, handed to the kernel once bound: its lets and vars, not functions or closures.
        #expect(try plan(cells).globals[0]?.map(\.name) == ["g", "h", "model"])
        #expect(try plan(cells).globals[0]?.map(\.isVariable) == [true, true, false])
        #expect(try plan(cells).globals[1] == nil)
    }

    /// A cell reads what its own code reads when it runs: a function it declares reads when
    /// called (by the cells calling it), and a member name is not a global.
    @Test func declarationBodiesAndMemberNamesAreNotTheDeclaringCellsReads() throws {
        let cells = ["let z = 1\nlet k = 2\nextension Int { var twice: Int { self * 2 } }",
                     "func f() -> Int { let z = 5; return z }\nlet pair = (z: 3, w: 4)\nlet y = pair.z + k.twice"]
        let facts = try facts(cells, 1)
        #expect(!facts.reads.contains("z"))
        #expect(facts.reads.contains("k") && facts.reads.contains("twice"))
        let caller = try self.facts(cells + ["let r = f()"], 2)
        #expect(caller.reads.contains("z"))  // through f, whose local z may as well be the global
    }

    @Test func aValueIsChangedByAssignmentInoutOrAMethodNotByBeingPassed() throws {
        func changes(_ body: String) throws -> Set<String> {
            Set(try facts(["var xs = [1]\nvar ys = [2]\nlet m = Sequential([])", body], 1).changes)
        }
        #expect(try changes("xs.append(3)").contains("xs"))
        #expect(try changes("xs[0] = 5").contains("xs"))
        #expect(try changes("xs += [1]").contains("xs"))
        #expect(try changes("swap(&xs, &ys)") == ["xs", "ys"])
        #expect(try changes("_ = xs.sorted()").contains("xs"))  // a method may be mutating: counted
        // Passing a value copies it; an object passed along is followed by its contents instead.
        #expect(try !changes("print(xs.count)\nlet n = max(xs[0], 1)").contains("xs"))
        #expect(try !changes("let k = count(xs)").contains("xs"))
        // A loop variable or closure parameter no cell binds stays inside the cell; one named like a value may be it.
        #expect(try changes("for layer in m.layers { layer.isTraining = false }\nlet f = { (v: [Int]) in v.sorted() }").isEmpty)
        #expect(try changes("for xs in [[1]] { _ = xs.count }\nxs.append(1)").contains("xs"))
    }

    @Test func aCellsOwnCodeHashCoversItsCodeAndResultOptionsOnly() throws {
        let base = try facts(["let a = 1"], 0).codeHash
        #expect(base.count == 64)
        #expect(try facts(["let a = 2"], 0).codeHash != base)
        #expect(try facts(["//| fig-width: 300\nlet a = 1"], 0).codeHash != base)
        #expect(try facts(["//| output: false\nlet a = 1"], 0).codeHash != base)
        #expect(try facts(["//| cache-extra: 1\nlet a = 1"], 0).codeHash != base)
        #expect(try facts(["//| label: train\n//| echo: false\nlet a = 1"], 0).codeHash == base)
        // Declarations are hashed by name, with the code of every cell declaring them.
        let declared = try plan(["func f() -> Int { 1 }", "let y = f()"]).program.declarations["f"]
        let edited = try plan(["func f() -> Int { 2 }", "let y = f()"]).program.declarations["f"]
        #expect(declared != nil && declared != edited)
    }

    @Test func parametersAreReadAtRunTime() throws {
        let plan = try plan(["let b = a * 2"], front: "params:\n  a: 3\n  rate: 0.5\n  name: \"x\\\"y\"\n")
        #expect(plan.program.parameters.map(\.json) == ["3", "0.5", #""x\"y""#])
        let source = ProgramGenerator.generate(plan).source
        #expect(source.contains(#"let a: Int = NotebookSession.parameter("a")"#))
        #expect(!source.contains("= 3\n"))
    }

    @Test func untrackedReadsOfTheOutsideWorldAreNamedUnlessCacheExtraSaysWhat() throws {
        #expect(try facts(["import Foundation\nlet e = ProcessInfo.processInfo.environment[\"X\"]"], 0).untrackedInput == "ProcessInfo")
        #expect(try facts(["import Foundation\nlet d = try Data(contentsOf: URL(fileURLWithPath: \"a\"))"], 0).untrackedInput == "contentsOf:")
        let through = try facts(["import Foundation\nfunc home() -> String? { ProcessInfo.processInfo.environment[\"HOME\"] }", "let h = home()"], 1)
        #expect(through.untrackedInput == "ProcessInfo (in 'home')")
        #expect(try facts(["//| cache-extra: 1\nimport Foundation\nlet e = ProcessInfo.processInfo.environment[\"X\"]"], 0).untrackedInput == nil)
        // The engine's and kernel's own readers are followed: nothing to name.
        #expect(try facts(["let m = try MNIST.load(split: .test)\nlet t = try readTextFile(\"a.txt\")"], 0).untrackedInput == nil)
        // POSIX reads, called as functions (module-qualified or not), in the cell or in what it calls.
        let posix = try facts(["import Foundation\nfunc peek(_ p: String) -> Int32 { let d = open(p, O_RDONLY); defer { close(d) }; return d }",
                               "let fd = peek(\"a\")"], 1)
        #expect(posix.untrackedInput == "open (in 'peek')")
        #expect(try facts(["import Foundation\nvar b: UInt8 = 0\n_ = Glibc.read(0, &b, 1)"], 0).untrackedInput == "read")
        // A method or a value of those names is not one; nor is bridging a String for String(format:).
        #expect(try facts(["struct Door { func open() {} }\nlet door = Door()\ndoor.open()\nlet read = 3\nlet glob = read + 1"], 0)
            .untrackedInput == nil)
        #expect(try facts(["import Foundation\nlet s = String(format: \"%@\", \"x\" as NSString)"], 0).untrackedInput == nil)
    }

    @Test func changesToTheOutsideWorldThroughPOSIXCallsInAHelperBlockCaching() throws {
        let plan = try plan(["import Foundation\nfunc stamp(_ p: String) { let d = open(p, O_WRONLY); _ = pwrite(d, \"x\", 1, 0) }",
                             "//| cache: true\nstamp(\"a\")"])
        #expect(plan.cacheNotes[1] == "it changes the outside world through 'pwrite (in 'stamp')', which a restored cell would not do again")
    }

    @Test func cachedCellsThatCannotBeKeptRunEveryTimeWithANote() throws {
        func note(_ cells: [String]) throws -> String? {
            let plan = try plan(cells)
            let index = cells.count - 1
            #expect(plan.cachedCells.contains(index) == (plan.cacheNotes[index] == nil))
            return plan.cacheNotes[index]
        }
        #expect(try note(["//| cache: true\nvar area: Int { 4 }"])?.contains("computed variable 'area'") == true)
        #expect(try note(["//| cache: true\nlet scale = 2\nfunc f() -> Int { scale * 3 }"])?.contains("uses 'scale'") == true)
        #expect(try note(["//| cache: true\nlet f = { (x: Int) in x + 1 }"])?.contains("binds 'f' to a closure") == true)
        #expect(try note(["enum Config { static var rate = 0.1 }", "//| cache: true\nlet r = Config.rate * 2"])?
            .contains("'rate', a static property") == true)
        #expect(try note(["//| cache: true\nimport Foundation\ntry \"x\".write(toFile: \"/tmp/x\", atomically: true, encoding: .utf8)"])?
            .contains("through 'write'") == true)
        #expect(try note(["//| cache: true\nimport Foundation\ntry FileManager.default.removeItem(atPath: \"/tmp/x\")"])?
            .contains("through 'removeItem'") == true)
        // Changing another cell's values is no reason: the cache keeps what the cell did to them.
        #expect(try note(["var xs = [1]\nlet model = Sequential([Linear(2, 2)])",
                          "//| cache: true\nxs.append(2)\nmodel.compile(optimizer: SGD(), loss: .meanSquaredError)"]) == nil)
        // The engine's writers are followed too.
        #expect(try note(["let model = Sequential([Linear(2, 2)])", "//| cache: true\ntry model.save(to: \"/tmp/m\")"]) == nil)
        expectError(containing: "cannot be both 'cache: true' and 'error: true'") {
            _ = try plan(["//| cache: true\n//| error: true\nlet x = 1"])
        }
    }

    @Test func aNotebookWideCacheDefaultLeavesOutCellsExpectingAnError() throws {
        let plan = try plan(["let a = 1", "//| error: true\nthrow CocoaError(.fileNoSuchFile)", "//| cache: false\nlet b = 2"],
                            front: "cache: true\n")
        #expect(plan.cachedCells == [0])
        #expect(plan.notebook.cells.map(\.options.cache) == [true, false, false])
    }

    func expectError(containing text: String, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected an error containing '\(text)'")
        } catch {
            #expect("\(error)".contains(text), "\(error)")
        }
    }
}

/// Problems the plan finds before anything compiles, named at their `.md` line.
@Suite struct PlanProblemTests {
    func problems(_ markdown: String) -> String {
        do {
            _ = try ExecutionPlan(notebook: NotebookParser.parse(markdown, path: "p.md"))
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func anIfOpenedInOneCellAndClosedInAnotherIsAnErrorInEach() {
        let text = problems("```swift\n#if DEBUG\nprint(1)\n```\n\n```swift\nprint(2)\n#endif\n```\n")
        #expect(text.contains("p.md:2:1: error: this '#if' is not closed before the end of cell 1"))
        #expect(text.contains("p.md:8:1: error: unexpected '#endif': it closes no '#if' of this cell"))
        #expect(problems("```swift\n#if DEBUG\nprint(1)\n#else\nprint(2)\n#endif\n```\n").isEmpty)
    }

    @Test func aParameterNamedLikeWhatTheProgramUsesOrLikeACalledFunctionIsAnError() {
        let generated = problems("---\nparams:\n  NotebookSession: 1\n  _nbCached0: 2\n---\n```swift\nlet a = 1\n```\n")
        #expect(generated.contains("p.md:3: error: parameter 'NotebookSession' has the name of something nbrun's generated program uses"))
        #expect(generated.contains("p.md:4: error: parameter '_nbCached0'"))
        let shadowing = problems("---\nparams:\n  print: 3\n---\n\n```swift\nlet x = 1\nprint(x)\n```\n")
        #expect(shadowing.contains("p.md:3: error: parameter 'print' hides the function print(...) that the cell at line 8 calls"))
        #expect(problems("---\nparams:\n  count: 3\n---\n```swift\nlet xs = [1]\nprint(xs.count + count)\n```\n").isEmpty)
    }

    @Test func eachTopLevelStatementThatMayThrowMarksItsLine() throws {
        let notebook = try NotebookParser.parse("```swift\nlet a = try f()\nprint(a)\ntry g()\n```\n", path: "p.md")
        let program = ProgramGenerator.generate(try ExecutionPlan(notebook: notebook))
        #expect(program.source.contains(
            "NotebookSession.willTry(2); let a = try f()\ndo { print(a)\nNotebookSession.willTry(4); _nbDisplayLast(try g()); 0._nbEndCell() };"))
        // Columns on those lines map back past both insertions.
        let column = "NotebookSession.willTry(4); _nbDisplayLast(".utf8.count + 5
        #expect(program.markdownColumn(column, line: 4) == 5)
        #expect(program.markdownColumn(3, line: 2) == 3)
    }
}
