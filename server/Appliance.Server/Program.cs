Console.WriteLine("appliance-server");
