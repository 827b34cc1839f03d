# Identifiers are NFKC-normalized: ﬁ is fi, ℌ is H, µ (micro sign) is μ.
ﬁle = 1
ℌx = 2
µ = 3
print(file, Hx, μ)
def naïve(café=ℌx):
    return café + ﬁle
print(naïve())
