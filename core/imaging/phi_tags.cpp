#include "imaging/phi_tags.h"

namespace fmw::imaging {

const std::vector<PhiTag> &phiTags()
{
    static const std::vector<PhiTag> tags = {
        {0x0008, 0x0020, "StudyDate"},
        {0x0008, 0x0021, "SeriesDate"},
        {0x0008, 0x0022, "AcquisitionDate"},
        {0x0008, 0x0023, "ContentDate"},
        {0x0008, 0x002A, "AcquisitionDateTime"},
        {0x0008, 0x0050, "AccessionNumber"},
        {0x0008, 0x0080, "InstitutionName"},
        {0x0008, 0x0081, "InstitutionAddress"},
        {0x0008, 0x0090, "ReferringPhysicianName"},
        {0x0008, 0x0092, "ReferringPhysicianAddress"},
        {0x0008, 0x0094, "ReferringPhysicianTelephoneNumbers"},
        {0x0008, 0x1010, "StationName"},
        {0x0008, 0x1040, "InstitutionalDepartmentName"},
        {0x0008, 0x1048, "PhysiciansOfRecord"},
        {0x0008, 0x1050, "PerformingPhysicianName"},
        {0x0008, 0x1060, "NameOfPhysiciansReadingStudy"},
        {0x0008, 0x1070, "OperatorsName"},
        {0x0010, 0x0010, "PatientName"},
        {0x0010, 0x0020, "PatientID"},
        {0x0010, 0x0021, "IssuerOfPatientID"},
        {0x0010, 0x0030, "PatientBirthDate"},
        {0x0010, 0x0032, "PatientBirthTime"},
        {0x0010, 0x1000, "OtherPatientIDs"},
        {0x0010, 0x1001, "OtherPatientNames"},
        {0x0010, 0x1002, "OtherPatientIDsSequence"},
        {0x0010, 0x1005, "PatientBirthName"},
        {0x0010, 0x1040, "PatientAddress"},
        {0x0010, 0x1060, "PatientMotherBirthName"},
        {0x0010, 0x1090, "MedicalRecordLocator"},
        {0x0010, 0x2154, "PatientTelephoneNumbers"},
        {0x0010, 0x21B0, "AdditionalPatientHistory"},
        {0x0010, 0x4000, "PatientComments"},
        {0x0018, 0x1000, "DeviceSerialNumber"},
        {0x0020, 0x0010, "StudyID"},
        {0x0032, 0x1032, "RequestingPhysician"},
        {0x0038, 0x0010, "AdmissionID"},
        {0x0040, 0x0006, "ScheduledPerformingPhysicianName"},
        {0x0040, 0xA075, "VerifyingObserverName"},
        {0x0040, 0xA123, "PersonName"},
    };
    return tags;
}

} // namespace fmw::imaging
