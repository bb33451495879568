// nbrun: run a Markdown notebook of Swift cells and write its HTML report.
import Notebook

NBRunCommand.main()
