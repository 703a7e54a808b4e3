"""(stub, replaced below)"""
def batch_work_source(db, settings):
    return lambda stopping, slot: False
