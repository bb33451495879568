import Notebook
print("nbrun")
