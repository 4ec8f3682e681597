import ProvisionKit
print("provision")
